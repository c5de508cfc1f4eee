// Driver for tests/usb_webusb.sh: Debian's Chromium, headless, driven by
// playwright-core, asks WebUSB what the virtual bus offers.
// usage: node usb_webusb.js PLAYWRIGHT_DIR POLICY_FILE PRODUCT_IDS
// Serves a tiny page on 127.0.0.1 (a secure context), writes the managed
// policy WebUsbAllowDevicesForUrls for that origin to POLICY_FILE (vendor
// 11012 = 0x2b04, the comma-separated decimal PRODUCT_IDS), starts Chromium
// and prints one JSON line: the devices getDevices() lists and, for the
// first, the answer to the simple request 0x50 with wIndex 20 (device id).
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');

const [pwDir, policyFile, products] = process.argv.slice(2);
const { chromium } = require(path.join(pwDir, 'node_modules', 'playwright-core'));

const page = '<!doctype html><title>webusb</title><p>otakit WebUSB test</p>';

async function probe() {
	const out = { devices: [], simple: null, error: null };
	try {
		const devs = await navigator.usb.getDevices();
		for (const d of devs)
			out.devices.push({ vendorId: d.vendorId, productId: d.productId,
				serialNumber: d.serialNumber, manufacturerName: d.manufacturerName,
				productName: d.productName });
		if (devs.length) {
			const d = devs[0];
			await d.open();
			const r = await d.controlTransferIn({ requestType: 'vendor',
				recipient: 'device', request: 0x50, value: 0, index: 20 }, 64);
			out.simple = { status: r.status,
				text: new TextDecoder().decode(r.data).replace(/\0.*$/s, '') };
			// Enter DFU mode (service request type 50, empty payload): INIT,
			// then CHECK until done; the device re-enumerates as 0xd0xx.
			const events = [];
			const arrived = new Promise((ok) => {
				navigator.usb.addEventListener('disconnect', (e) =>
					events.push(['disconnect', e.device.productId, e.device.serialNumber]));
				navigator.usb.addEventListener('connect', (e) => {
					events.push(['connect', e.device.productId, e.device.serialNumber]);
					ok();
				});
			});
			const vin = (request, value, index) => d.controlTransferIn({ requestType: 'vendor',
				recipient: 'device', request, value, index }, 64);
			const init = await vin(1, 0, 50);
			const v = init.data;
			const id = v.getUint32(0, true) & 2 ? v.getUint16(6, true) : -1;
			out.dfuInit = { status: v.getUint16(4, true), id };
			let st = 2;
			for (let i = 0; i < 20 && st === 2; i++) {
				const c = (await vin(2, 0, id)).data;
				st = c.getUint16(4, true);
				out.dfuCheck = { status: st, result: c.byteLength >= 10 ?
					c.getInt32(c.byteLength - 4, true) : null };
				if (st === 2)
					await new Promise((ok) => setTimeout(ok, 50));
			}
			await Promise.race([arrived, new Promise((ok) => setTimeout(ok, 30000))]);
			out.events = events;
			out.after = (await navigator.usb.getDevices()).map((x) =>
				[x.productId, x.serialNumber]);
		}
	} catch (e) {
		out.error = String(e);
	}
	return out;
}

async function main() {
	const server = http.createServer((req, res) => {
		res.writeHead(200, { 'Content-Type': 'text/html' });
		res.end(page);
	});
	await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
	const origin = `http://127.0.0.1:${server.address().port}`;
	const policy = { WebUsbAllowDevicesForUrls: [{
		devices: products.split(',').map((p) => ({ vendor_id: 11012, product_id: Number(p) })),
		urls: [origin],
	}] };
	fs.writeFileSync(policyFile, JSON.stringify(policy));
	const browser = await chromium.launch({
		executablePath: '/usr/bin/chromium',
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update',
			'--disable-sync'],
		// (playwright gives each launch a fresh, empty user data dir)
		headless: true,
		timeout: 60000,
	});
	try {
		const tab = await browser.newPage();
		await tab.goto(origin + '/');
		// A transfer that never completes (the device node not behaving like
		// the kernel's for epoll) is reported, not waited on forever.
		const out = await Promise.race([tab.evaluate(probe), new Promise((ok) =>
			setTimeout(() => ok({ devices: null, error: 'page timed out after 60 s' }), 60000))]);
		out.origin = origin;
		console.log(JSON.stringify(out));
	} finally {
		await browser.close();
		server.close();
	}
}

main().catch((e) => {
	console.error('usb_webusb.js:', e);
	process.exit(1);
});
