// The AWS SDK warns that Node 20 support ends in 2027; once is enough, and not in every test file.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/**
 * Test files share a worker's modules (vitest `isolate: false`: importing the SDK and CDK once
 * per worker, not once per file, halves the suite). What a file leaves in the environment must
 * not reach the next: a local AWS's endpoints, `AWS_MAX_ATTEMPTS`, stubbed Lambda variables.
 * This runs before each file: the environment is put back as the worker first saw it.
 */
const held = globalThis as { lifeboatPristineEnv?: Record<string, string | undefined> };
held.lifeboatPristineEnv ??= { ...process.env };
const pristine = held.lifeboatPristineEnv;
for (const name of Object.keys(process.env)) if (!(name in pristine)) delete process.env[name];
Object.assign(process.env, pristine);
