/**
 * The AWS SDK prints a multi-line NodeVersionSupportWarning to stderr on Node 20 in every command. Pier supports
 * Node 20.19+ locally (production runs Node 22) with the pinned SDK versions, so the local tools turn that notice
 * off unless the user has set the switch themselves. Import this before any AWS SDK client is created.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
