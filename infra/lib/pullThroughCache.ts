import { SecretValue, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvSettings } from '../settings.js';
import { SettingsWiringError } from './appSettings.js';

/** Docker Hub's registry as ECR's pull-through cache names it (CreatePullThroughCacheRule upstreamRegistryUrl). */
export const DOCKER_HUB = 'registry-1.docker.io';

/** Untagged cached images kept this long before the repositories' lifecycle policy expires them. */
const UNTAGGED_DAYS = 14;

/**
 * `owner/repo:tag` (or `repo:tag`, an official image) -> the cached repository path and tag. Docker Hub's official
 * images live under `library/`, which ECR's cache path must include ("For Docker Hub official images, the /library
 * prefix must be included": https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-working.html).
 * Anything naming another registry (a host with a dot or a port) or no tag is refused.
 */
export function parseDockerHubImage(image: string): { repository: string; tag: string } {
  const ref = image.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '');
  const m = /^([a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)?):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(ref);
  const first = ref.split('/')[0]!;
  if (!m || (ref.includes('/') && /[.:]/.test(first))) {
    throw new SettingsWiringError(`compute.image.image "${image}" must be a Docker Hub image with a tag: owner/repo:tag or repo:tag`);
  }
  const repository = m[1]!.includes('/') ? m[1]! : `library/${m[1]!}`;
  return { repository, tag: m[2]! };
}

/**
 * Docker Hub through an ECR pull-through cache: tasks pull `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<repo>:<tag>`
 * through the VPC's ECR endpoints, never Docker Hub itself, and ECR fetches the upstream image with the credentials in
 * `ecr-pullthroughcache/<prefix>` (the name prefix AWS requires for a pull-through cache secret:
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-rule.html).
 *
 * The rule is registry-wide (one per prefix per account and region), hence a prefix per environment. A repository
 * creation template sets what ECR gives the repositories it creates for the cache: AES-256 encryption, scan on push,
 * and a lifecycle policy for untagged images.
 */
export class DockerHubPullThroughCache extends Construct {
  /** The cache's repository prefix, e.g. `pier-dev-docker-hub`. */
  readonly prefix: string;
  /** `{"username": "...", "accessToken": "..."}` (Docker Hub's key names for a pull-through secret); created with blanks. */
  readonly credentials: secretsmanager.Secret;
  readonly rule: ecr.CfnPullThroughCacheRule;
  readonly repository: ecr.IRepository;
  readonly image: ecs.ContainerImage;
  readonly tag: string;

  constructor(scope: Construct, id: string, s: EnvSettings, image: string) {
    super(scope, id);
    this.prefix = `${s.prefix}-docker-hub`;
    const { repository, tag } = parseDockerHubImage(image);
    this.tag = tag;
    // Docker Hub credentials: the operator puts them after the first deploy (docs/deploy.md). Never generated here.
    this.credentials = new secretsmanager.Secret(this, 'Credentials', {
      secretName: `ecr-pullthroughcache/${this.prefix}`,
      description: 'Docker Hub credentials for the ECR pull-through cache (JSON: username, accessToken)',
      secretObjectValue: { username: SecretValue.unsafePlainText(''), accessToken: SecretValue.unsafePlainText('') },
    });
    this.rule = new ecr.CfnPullThroughCacheRule(this, 'Rule', {
      ecrRepositoryPrefix: this.prefix,
      upstreamRegistry: 'docker-hub',
      upstreamRegistryUrl: DOCKER_HUB,
      credentialArn: this.credentials.secretArn,
    });
    const template = new ecr.CfnRepositoryCreationTemplate(this, 'Template', {
      prefix: this.prefix,
      appliedFor: ['PULL_THROUGH_CACHE'],
      description: `Repositories ECR creates for the ${this.prefix} pull-through cache`,
      encryptionConfiguration: { encryptionType: 'AES256' },
      // Upstream tags move (ECR refreshes a cached tag from Docker Hub), so tags stay mutable.
      imageTagMutability: 'MUTABLE',
      lifecyclePolicy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: `expire untagged images after ${UNTAGGED_DAYS} days`,
            selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: UNTAGGED_DAYS },
            action: { type: 'expire' },
          },
        ],
      }),
    });
    this.rule.node.addDependency(template);
    // The repository ECR creates on the first pull; the task definitions name it (account.dkr.ecr.region.../prefix/repo).
    this.repository = ecr.Repository.fromRepositoryName(this, 'Cached', `${this.prefix}/${repository}`);
    this.image = ecs.ContainerImage.fromEcrRepository(this.repository, tag);
  }

  /**
   * What a pull through the cache needs beyond a plain pull (which the image's bind grants the execution role): AWS's
   * "IAM permissions required to sync an upstream registry" lists ecr:BatchImportUpstreamImage (import the upstream
   * image) and ecr:CreateRepository (when the cached repository does not exist yet), here on the one cached repository
   * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html).
   */
  grantPullThrough(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'], resources: [this.repository.repositoryArn] }),
    );
  }

  /** The image URI the task definitions name (tokens resolved at deploy). */
  imageUri(): string {
    return `${Stack.of(this).account}.dkr.ecr.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/${this.repository.repositoryName}:${this.tag}`;
  }
}
