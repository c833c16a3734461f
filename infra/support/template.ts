/* Helpers for tests that read synthesized CloudFormation. */

/** The registry host of a synthesized container image, pseudo parameters left as <account>, <region>, <urlSuffix>. */
export function imageRegistry(image: unknown): string {
  const pseudo: Record<string, string> = { 'AWS::AccountId': '<account>', 'AWS::Region': '<region>', 'AWS::URLSuffix': '<urlSuffix>' };
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, unknown>;
    if ('Ref' in o) return pseudo[o.Ref as string] ?? `<${String(o.Ref)}>`;
    if ('Fn::Sub' in o) return (o['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/g, (_, k: string) => pseudo[k] ?? `<${k}>`);
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(sep);
    }
    // Fn::Select of a split ARN (the account or region of an imported repository's ARN).
    if ('Fn::Select' in o) {
      const [index] = o['Fn::Select'] as [number];
      return index === 4 ? '<account>' : index === 3 ? '<region>' : '<?>';
    }
    return `<${Object.keys(o)[0]}>`;
  };
  return render(image).split('/')[0]!;
}
