-- otakitd schema 9: administrators.  Only they may change what every user
-- of the server shares, such as the Device OS catalog (POST
-- /v1/device-os/versions); `otakitd user add NAME --admin` makes one.
ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
