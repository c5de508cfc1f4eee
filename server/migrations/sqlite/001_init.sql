-- otakitd schema 1: accounts, tokens, products, devices, groups, firmware.
-- Times are Unix seconds; 0 means "never" or "not yet".

CREATE TABLE users (
	id INTEGER PRIMARY KEY,
	username TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	created_at INTEGER NOT NULL
);

-- Tokens are stored as SHA-256 of the token text; the text itself never is.
-- product_id 0: the user's own token (all of the user's products);
-- otherwise an API user's token, limited to that product.
CREATE TABLE tokens (
	id INTEGER PRIMARY KEY,
	token_hash BLOB NOT NULL UNIQUE,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	product_id INTEGER NOT NULL DEFAULT 0,
	scopes TEXT NOT NULL,
	client TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);

CREATE TABLE products (
	id INTEGER PRIMARY KEY,
	slug TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	platform_id INTEGER NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);

CREATE TABLE product_members (
	product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	role TEXT NOT NULL,
	PRIMARY KEY (product_id, user_id)
);

-- One row per device the cloud knows.  Product fields are meaningful while
-- product_id is set; reported fields are written by the device protocol.
CREATE TABLE devices (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL DEFAULT '',
	platform_id INTEGER NOT NULL DEFAULT 0,
	owner_id INTEGER NOT NULL DEFAULT 0,
	product_id INTEGER NOT NULL DEFAULT 0,
	quarantined INTEGER NOT NULL DEFAULT 0,
	denied INTEGER NOT NULL DEFAULT 0,
	development INTEGER NOT NULL DEFAULT 0,
	desired_firmware_version INTEGER,
	firmware_updates_forced INTEGER NOT NULL DEFAULT 0,
	notes TEXT NOT NULL DEFAULT '',
	firmware_version INTEGER,
	system_firmware_version TEXT NOT NULL DEFAULT '',
	public_key TEXT NOT NULL DEFAULT '',
	last_heard INTEGER NOT NULL DEFAULT 0,
	online INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);
CREATE INDEX devices_product ON devices(product_id, id);
CREATE INDEX devices_owner ON devices(owner_id, id);

CREATE TABLE product_groups (
	product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	color TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (product_id, name)
);

CREATE TABLE device_groups (
	device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
	product_id INTEGER NOT NULL,
	group_name TEXT NOT NULL,
	PRIMARY KEY (device_id, group_name),
	FOREIGN KEY (product_id, group_name) REFERENCES product_groups(product_id, name) ON DELETE CASCADE
);

-- A firmware version of a product.  sha256 names the uploaded file in the
-- blob store, app_sha256 the application module (the file itself for a
-- .bin, the app inside a bundle).  released_at 0: never released.
CREATE TABLE firmware (
	product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
	version INTEGER NOT NULL,
	title TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	filename TEXT NOT NULL,
	size INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	app_sha256 TEXT NOT NULL,
	app_size INTEGER NOT NULL,
	is_bundle INTEGER NOT NULL,
	uploaded_at INTEGER NOT NULL,
	uploaded_by INTEGER NOT NULL,
	product_default INTEGER NOT NULL DEFAULT 0,
	released_at INTEGER NOT NULL DEFAULT 0,
	intelligent INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (product_id, version)
);

-- The assets of a bundle, matched by name and hash when a device reports
-- what it has (the device protocol).
CREATE TABLE firmware_assets (
	product_id INTEGER NOT NULL,
	version INTEGER NOT NULL,
	name TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	size INTEGER NOT NULL,
	PRIMARY KEY (product_id, version, name),
	FOREIGN KEY (product_id, version) REFERENCES firmware(product_id, version) ON DELETE CASCADE
);

-- Groups a version is released to.
CREATE TABLE firmware_groups (
	product_id INTEGER NOT NULL,
	version INTEGER NOT NULL,
	group_name TEXT NOT NULL,
	PRIMARY KEY (product_id, version, group_name),
	FOREIGN KEY (product_id, version) REFERENCES firmware(product_id, version) ON DELETE CASCADE,
	FOREIGN KEY (product_id, group_name) REFERENCES product_groups(product_id, name) ON DELETE CASCADE
);
