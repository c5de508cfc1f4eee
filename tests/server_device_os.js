// particle-cli's own Device OS download code (src/lib/device-os-version-util.js,
// what `particle update` and `particle flash --local --target` use) against
// otakitd's catalog.  Usage: node server_device_os.js URL TOKEN CLIDIR VERSION
'use strict';
const [url, token, cli, version] = process.argv.slice(2);
const ParticleApi = require(`${cli}/src/cmd/api`);
const { downloadDeviceOsVersionBinaries } = require(`${cli}/src/lib/device-os-version-util`);
const api = new ParticleApi(url, { accessToken: token });
const ui = { showBusySpinnerUntilResolved: (msg, p) => p, stdout: process.stdout };
downloadDeviceOsVersionBinaries({ api, platformId: 32, version, ui, verbose: true })
	.then(paths => { for (const p of paths) console.log(`file ${p}`); })
	.catch(e => { console.log(`FAIL ${e.message}`); process.exit(1); });
