// SPDX-License-Identifier: MIT
// A Node.js HTTPS client configured by nothing but the environment: undici's
// EnvHttpProxyAgent reads HTTPS_PROXY/NO_PROXY the way Node 24+ does with
// NODE_USE_ENV_PROXY=1 (this machine's Node 20 predates that). Prints the body of
// process.argv[2]; exits 1 on any failure. NODE_EXTRA_CA_CERTS supplies the test CA.
'use strict';
const { fetch, EnvHttpProxyAgent } = require('undici');

const url = process.argv[2];
fetch(url, { dispatcher: new EnvHttpProxyAgent() })
  .then(async (response) => {
    const body = await response.text();
    if (!response.ok) {
      throw new Error(`HTTP ${response.status}: ${body}`);
    }
    process.stdout.write(body);
  })
  .catch((error) => {
    console.error(`fetch.js: ${error.cause ? error.cause.message : error.message}`);
    process.exit(1);
  });
