// The AWS SDK warns that Node 20 support ends in 2027; once is enough, and not in every test file.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
