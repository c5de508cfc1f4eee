-- otakitd schema 3: product devices by the firmware version they report.
-- Firmware lists count them per version (device_count), and the planner
-- will look devices up the same way; without it each count scans the
-- product's devices.
CREATE INDEX devices_product_firmware ON devices(product_id, firmware_version);
