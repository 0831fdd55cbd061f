#!/usr/bin/python3
"""RTSP test camera for framering's tests: GStreamer's RTSP server on 127.0.0.1.

Serves H.264 of a known pattern (SMPTE bars by default, so tests can check colours at known places) on
  /test    open to anyone
  /secure  RTSP basic auth (--user/--password) on --secure-port, only when --password is given
over TCP and UDP. Prints "READY <port> [<securePort>]" on stdout once bound (port 0 = pick a free one),
then serves until SIGTERM/SIGINT. Run with /usr/bin/python3 (python3-gi, gir1.2-gst-rtsp-server-1.0).
"""
import argparse
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def pick_encoder():
    # x264enc (gstreamer1.0-plugins-ugly) is the common one; fall back to whatever H.264 encoder exists.
    candidates = [
        ("x264enc", "x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} bitrate=800"),
        ("openh264enc", "openh264enc gop-size={gop} complexity=low"),
        ("avenc_h264_omx", "avenc_h264_omx"),
    ]
    for factory, description in candidates:
        if Gst.ElementFactory.find(factory) is not None:
            return description
    sys.stderr.write("no H.264 encoder found: install gstreamer1.0-plugins-ugly (x264enc)\n")
    sys.exit(3)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--pattern", default="smpte", help="videotestsrc pattern (smpte, red, green, blue, ...)")
    parser.add_argument("--user", default="user")
    parser.add_argument("--password", default="", help="serve /secure with RTSP basic auth on --secure-port")
    parser.add_argument("--secure-port", type=int, default=0)
    args = parser.parse_args()

    Gst.init(None)
    encoder = pick_encoder().format(gop=max(1, args.fps))
    launch = (
        "( videotestsrc is-live=true pattern={pattern} "
        "! video/x-raw,format=I420,width={w},height={h},framerate={fps}/1 "
        "! {encoder} ! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=1 )"
    ).format(pattern=args.pattern, w=args.width, h=args.height, fps=args.fps, encoder=encoder)

    protocols = GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP

    def make_server(port, mount):
        server = GstRtspServer.RTSPServer()
        server.set_address("127.0.0.1")
        server.set_service(str(port))
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch)
        factory.set_shared(True)  # one encoder for all clients: spare the CPU
        factory.set_protocols(protocols)
        server.get_mount_points().add_factory(mount, factory)
        return server, factory

    # GstRTSPAuth is server-wide (an anonymous client is answered 404, not 401, on a mount it may not use),
    # so the password-protected mount lives on a second server in the same process, on its own port.
    servers = [make_server(args.port, "/test")[0]]
    if args.password:
        secure_server, secure_factory = make_server(args.secure_port, "/secure")
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        secure_server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        permissions.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        secure_factory.set_permissions(permissions)
        servers.append(secure_server)

    loop = GLib.MainLoop()
    for server in servers:
        if server.attach(None) == 0:
            sys.stderr.write("could not bind 127.0.0.1:%s (port in use?)\n" % server.get_service())
            sys.exit(2)
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, lambda *_: (loop.quit(), False)[1])

    # The parent holds our stdin open: when it dies (even by SIGKILL), stdin reaches EOF and we go too.
    def on_stdin(fd, condition):
        if condition & (GLib.IO_HUP | GLib.IO_ERR) or not os.read(fd, 4096):
            loop.quit()
            return False
        return True

    if not sys.stdin.isatty():
        GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, on_stdin)
    print("READY " + " ".join(str(server.get_bound_port()) for server in servers), flush=True)
    loop.run()


if __name__ == "__main__":
    main()
