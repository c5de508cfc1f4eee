-- otakitd schema 5: firmware flashed to one device (PUT /v1/devices/:id
-- with a file), queued for the device protocol to deliver.  Files are
-- blobs; a bundle's assets are listed like a product version's.
CREATE TABLE device_flash_queue (
	id INTEGER PRIMARY KEY,
	device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
	filename TEXT NOT NULL,
	size INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	app_sha256 TEXT NOT NULL,
	is_bundle INTEGER NOT NULL,
	queued_at INTEGER NOT NULL,
	queued_by INTEGER NOT NULL,
	delivered_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX device_flash_pending ON device_flash_queue(device_id, delivered_at);

CREATE TABLE device_flash_assets (
	flash_id INTEGER NOT NULL REFERENCES device_flash_queue(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	size INTEGER NOT NULL,
	PRIMARY KEY (flash_id, name)
);
