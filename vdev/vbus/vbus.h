/*
 * The wire between otakit-vbus (the virtual USB bus, umockdev) and the
 * devices on it (otakit-vdev run --usb): one SOCK_SEQPACKET connection per
 * device, one message per packet, first byte the message type.
 *
 *   device -> bus  PLUG    u16 vid, u16 pid, u16 desc_len, descriptors
 *                          (device + configuration, as sysfs "descriptors"),
 *                          then manufacturer, product, serial (NUL-ended)
 *   bus -> device  REPLY   i32 0 once the device is on the bus (after PLUG)
 *   device -> bus  UNPLUG  (nothing)
 *   bus -> device  SETUP   8-byte setup packet, then the OUT data stage
 *   device -> bus  REPLY   i32 result (IN length, 0, or < 0: stall), IN data
 *
 * The bus sends SETUP only while the device is plugged and waits for its
 * REPLY; the device sends UNPLUG/PLUG only between requests.  Standard
 * SET_INTERFACE arrives as a SETUP too (the ioctl turned into a request).
 */
#ifndef OTK_VBUS_H
#define OTK_VBUS_H

#define VBUS_PLUG 1
#define VBUS_UNPLUG 2
#define VBUS_SETUP 3
#define VBUS_REPLY 4

#define VBUS_MAX_MSG (8 + 1 + 65536 + 16)
#define VBUS_SOCKET "otakit-vbus.sock"

#endif
