// particle-api-js (Particle's JavaScript client, from the oracle) against
// otakitd, through the library's own functions.  Prints one "ok NAME" or
// "FAIL NAME: why" line per check.  Usage: node server_api_js.js URL LIBDIR
'use strict';
const fs = require('fs');
const [url, lib] = process.argv.slice(2);
const Particle = require(lib);
const api = new Particle({ baseUrl: url });
let fails = 0;
function check(name, cond, why) {
	if (cond) {
		console.log(`ok   ${name}`);
	} else {
		fails++;
		console.log(`FAIL ${name}: ${why === undefined ? '' : JSON.stringify(why)}`);
	}
}
async function refused(name, promise, status, re) {
	try {
		const r = await promise;
		check(name, false, r.body);
	} catch (e) {
		const msg = (e.body && (e.body.error || e.body.error_description)) || e.message;
		check(name, e.statusCode === status && re.test(msg), { status: e.statusCode, msg });
	}
}

(async () => {
	const product = 1234;
	const dev = '0123456789abcdef01234567';
	await refused('login: wrong password', api.login({ username: 'alice', password: 'nope' }), 400, /invalid/);
	const login = await api.login({ username: 'alice', password: 'alice-password' });
	const auth = login.body.access_token;
	check('login', typeof auth === 'string' && auth.length === 40, login.body);
	const prods = await api.listProducts({ auth });
	check('listProducts', prods.body.products.map(p => p.id).join() === '1234', prods.body);
	const prod = await api.getProduct({ product, auth });
	check('getProduct', prod.body.product.platform_id === 32, prod.body);

	let r = await api.uploadProductFirmware({ file: 'fw1.bin', version: 1, title: 'first', description: 'a .bin', product, auth });
	check('uploadProductFirmware: .bin', r.body.version === 1 && r.body.bundle === false, r.body);
	r = await api.uploadProductFirmware({ file: 'b2.zip', version: 2, title: 'second', description: 'a bundle', product, auth });
	check("uploadProductFirmware: bundle", r.body.version === 2 && r.body.bundle === true && r.body.name === "firmware.zip", r.body);
	await refused('uploadProductFirmware: version in the module differs', api.uploadProductFirmware({ file: 'fw3.bin', version: 4, title: 'x', product, auth }), 400, /product version in the module is 3 but the version field is 4/);
	await refused('uploadProductFirmware: hash mismatch in bundle', api.uploadProductFirmware({ file: 'hash.zip', version: 3, title: 'x', product, auth }), 400, /asset a.txt: hash does not match/);
	r = await api.listProductFirmware({ product, auth });
	check('listProductFirmware', r.body.map(f => f.version).join() === '2,1', r.body);
	r = await api.getProductFirmware({ version: 2, product, auth });
	check('getProductFirmware: assets', r.body.assets && r.body.assets.length === 1 && r.body.assets[0].name === 'a.txt', r.body);
	r = await api.updateProductFirmware({ version: 1, title: 'renamed', description: 'edited', product, auth });
	check('updateProductFirmware', r.body.title === 'renamed' && r.body.description === 'edited', r.body);
	const bin = await api.downloadProductFirmware({ version: 2, product, auth });
	check('downloadProductFirmware', Buffer.compare(Buffer.from(bin), fs.readFileSync('b2.zip')) === 0, bin.length);
	r = await api.releaseProductFirmware({ version: 2, product_default: true, product, auth });
	check('releaseProductFirmware', r.body.product_default === true && r.body.released_at, r.body);
	r = await api.listProductFirmware({ product, auth });
	check('released version is current', r.body.find(f => f.version === 2).current === true, r.body);

	r = await api.addDeviceToProduct({ deviceId: dev, product, auth });
	check('addDeviceToProduct', r.body.updated === 1, r.body);
	r = await api.lockDeviceProductFirmware({ deviceId: dev, desiredFirmwareVersion: 1, product, auth });
	check('lockDeviceProductFirmware', r.body.desired_firmware_version === 1, r.body);
	r = await api.getDevice({ deviceId: dev, product, auth });
	check('getDevice: locked', r.body.desired_firmware_version === 1, r.body);
	r = await api.unlockDeviceProductFirmware({ deviceId: dev, product, auth });
	check('unlockDeviceProductFirmware', r.body.desired_firmware_version === null, r.body);
	r = await api.markAsDevelopmentDevice({ deviceId: dev, product, auth });
	check('markAsDevelopmentDevice', r.body.development === true, r.body);
	r = await api.setDeviceNotes({ deviceId: dev, notes: 'shelf 3', product, auth });
	check('setDeviceNotes', r.body.notes === 'shelf 3', r.body);
	r = await api.renameDevice({ deviceId: dev, name: 'shelf-3', product, auth });
	check('renameDevice', r.body.name === 'shelf-3', r.body);
	r = await api.listDevices({ product, perPage: 10, page: 1, auth });
	check('listDevices (product)', r.body.devices.length === 1 && r.body.devices[0].name === 'shelf-3', r.body);
	r = await api.removeDevice({ deviceId: dev, deny: true, product, auth });
	check('removeDevice deny', r.body.ok === true, r.body);
	await refused('getDevice after deny', api.getDevice({ deviceId: dev, product, auth }), 404, /not found/);
	await refused('delete a released version', api.request({ uri: `/v1/products/${product}/firmware/2`, method: 'delete', auth }), 400, /has been released/);
	r = await api.deleteCurrentAccessToken({ auth });
	check('deleteCurrentAccessToken', r.body.ok === true, r.body);
	await refused('token gone', api.listProducts({ auth }), 401, /invalid/);
	process.exit(fails ? 1 : 0);
})().catch(e => {
	console.log(`FAIL unexpected: ${e.statusCode} ${JSON.stringify(e.body)} ${e.stack}`);
	process.exit(1);
});
