#!/usr/bin/python3
"""A test RTSP camera: GStreamer's RTSP server streaming a live H.264 test pattern.

Usage: rtspServer.py <width> <height> <fps>. Listens on a free port of 127.0.0.1 and prints
"ready rtsp://127.0.0.1:<port>/camera" once clients may connect; serves TCP and UDP transports.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

width, height, fps = (int(a) for a in sys.argv[1:4])
Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service("0")
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    f"( videotestsrc is-live=true pattern=ball ! video/x-raw,width={width},height={height},framerate={fps}/1 "
    f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} ! rtph264pay name=pay0 pt=96 config-interval=1 )"
)
factory.set_shared(True)
server.get_mount_points().add_factory("/camera", factory)
server.attach(None)
print(f"ready rtsp://127.0.0.1:{server.get_bound_port()}/camera", flush=True)
GLib.MainLoop().run()
