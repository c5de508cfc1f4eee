-- otakitd schema 4: the Device OS catalog.  One row per module file of a
-- release for a platform, identified by its prefix (function, index,
-- module version); the file itself is a blob named by sha256.
CREATE TABLE device_os_modules (
	version TEXT NOT NULL,
	internal_version INTEGER NOT NULL,
	platform_id INTEGER NOT NULL,
	filename TEXT NOT NULL,
	function INTEGER NOT NULL,
	module_index INTEGER NOT NULL,
	module_version INTEGER NOT NULL,
	start_addr INTEGER NOT NULL,
	end_addr INTEGER NOT NULL,
	flags INTEGER NOT NULL,
	dep_function INTEGER NOT NULL,
	dep_index INTEGER NOT NULL,
	dep_version INTEGER NOT NULL,
	dep2_function INTEGER NOT NULL,
	dep2_index INTEGER NOT NULL,
	dep2_version INTEGER NOT NULL,
	prefix_offset INTEGER NOT NULL,
	crc INTEGER NOT NULL,
	size INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	PRIMARY KEY (version, platform_id, filename)
);
CREATE INDEX device_os_by_internal ON device_os_modules(platform_id, internal_version);
