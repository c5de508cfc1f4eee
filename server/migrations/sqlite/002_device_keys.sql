-- otakitd schema 2: device public keys as provisioning stores them.  The
-- device protocol finds a device by its key (spec 06: the handshake carries
-- no device id), hence the fingerprint (SHA-256 of the DER
-- SubjectPublicKeyInfo, hex) and its index.
ALTER TABLE devices ADD COLUMN public_key_algorithm TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN public_key_fingerprint TEXT;
CREATE UNIQUE INDEX devices_key ON devices(public_key_fingerprint);
