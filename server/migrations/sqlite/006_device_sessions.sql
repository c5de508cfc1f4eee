-- otakitd schema 6: DTLS sessions of devices, kept so that a device resumes
-- without a handshake after otakitd restarts or on another node (spec 06).
-- cid is the 8-byte Connection ID the server assigned; state is the
-- serialized session (host/src/dtls_handshake.c, otk_dtls_save).
CREATE TABLE device_sessions (
	cid BLOB PRIMARY KEY,
	device_id TEXT NOT NULL,
	state BLOB NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX device_sessions_device ON device_sessions(device_id);
