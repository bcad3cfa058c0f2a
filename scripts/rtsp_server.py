"""A real RTSP server for tests and demos: serves one H.264 MP4 on a loopback port (gst-rtsp-server).

Run it with the SYSTEM Python, not the project venv, because GStreamer's Python bindings come from
Debian packages::

    apt-get install -y --no-install-recommends python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good
    /usr/bin/python3 scripts/rtsp_server.py clip.mp4 --port 8554 --mount /cam --loop

Every client gets its own pipeline that starts at the beginning of the file (so the first packet is a
keyframe), over RTP/UDP or RTP interleaved in the RTSP TCP connection, whichever the client asks for.
With ``--loop`` the file restarts at its end instead of ending the stream. The server prints
``READY rtsp://HOST:PORT/MOUNT`` on stdout once it accepts connections, and exits cleanly on SIGTERM
or SIGINT. Only loopback addresses are accepted: this is a test fixture, not a camera.

``--check`` only verifies that the GStreamer bindings and elements are installed (exit status 0) and
says which packages are missing otherwise (exit status 2).
"""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
from pathlib import Path
from typing import Any

MISSING_PACKAGES_HINT = (
    "needs Debian packages python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good "
    "(apt-get install -y --no-install-recommends python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good) "
    "and must run with the system /usr/bin/python3"
)

try:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer  # type: ignore[attr-defined,unused-ignore]
except (ImportError, ValueError) as e:  # ValueError: the typelib for a required version is missing
    print(f"rtsp_server.py: cannot load GStreamer RTSP server bindings ({e}); {MISSING_PACKAGES_HINT}", file=sys.stderr)
    sys.exit(2)

REQUIRED_ELEMENTS = ("filesrc", "qtdemux", "queue", "rtph264pay")


def launch_line(clip: Path) -> str:
    """The media pipeline for one client: demux the MP4 and packetise its H.264 without re-encoding."""
    location = str(clip).replace('"', '\\"')
    return f'( filesrc location="{location}" ! qtdemux ! queue ! rtph264pay name=pay0 pt=96 config-interval=1 )'


def _restart_at_eos(media: Any) -> None:
    """Loop the file: drop the end-of-stream event at the payloader and seek the pipeline back to 0.

    The seek cannot run inside the streaming thread that carries the EOS, so it is scheduled on the
    main loop.
    """
    bin_ = media.get_element()
    pay = bin_.get_by_name("pay0")
    pipeline = bin_.get_parent() or bin_

    def seek_to_start() -> bool:
        flags = Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT
        if not pipeline.seek_simple(Gst.Format.TIME, flags, 0):
            print("rtsp_server.py: seek to start failed; the stream ends here", file=sys.stderr, flush=True)
        return False  # run once

    def on_event(_pad: Any, info: Any) -> Any:
        event = info.get_event()
        if event is not None and event.type == Gst.EventType.EOS:
            GLib.idle_add(seek_to_start)
            return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK

    pay.get_static_pad("sink").add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, on_event)


def build_server(clip: Path, host: str, port: int, mount: str, loop: bool) -> Any:
    """An attached-ready RTSPServer serving ``clip`` at ``rtsp://host:port/mount``."""
    server = GstRtspServer.RTSPServer()
    server.set_address(host)
    server.set_service(str(port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(clip))
    factory.set_shared(False)  # each client starts at the beginning of the file
    if loop:
        factory.connect("media-configure", lambda _factory, media: _restart_at_eos(media))
    server.get_mount_points().add_factory(mount, factory)
    return server


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve an H.264 MP4 over RTSP on a loopback address.")
    parser.add_argument("clip", type=Path, nargs="?", help="H.264 MP4 file to serve")
    parser.add_argument("--port", type=int, default=8554, help="TCP port for RTSP (default 8554)")
    parser.add_argument("--mount", default="/cam", help="mount path, starting with / (default /cam)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--loop", action="store_true", help="restart the file at its end instead of ending")
    parser.add_argument("--check", action="store_true", help="only check that GStreamer is installed, then exit")
    args = parser.parse_args(argv)
    if args.check:
        return args
    if args.clip is None:
        parser.error("a clip to serve is required (an H.264 MP4 file)")
    if not args.clip.is_file():
        parser.error(f"clip must be an existing MP4 file; {args.clip} does not exist")
    if not args.mount.startswith("/"):
        parser.error(f"mount must start with '/'; got {args.mount!r}")
    if not 0 < args.port < 65536:
        parser.error(f"port must be in 1..65535; got {args.port}")
    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        parser.error(f"host must be a loopback address such as 127.0.0.1; got {args.host!r}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    Gst.init(None)
    missing = [name for name in REQUIRED_ELEMENTS if Gst.ElementFactory.find(name) is None]
    if missing:
        print(f"rtsp_server.py: GStreamer elements {missing} are missing; {MISSING_PACKAGES_HINT}", file=sys.stderr)
        return 2
    if args.check:
        print("rtsp_server.py: GStreamer RTSP server and elements are installed", flush=True)
        return 0
    server = build_server(args.clip.resolve(), args.host, args.port, args.mount, args.loop)
    if server.attach(None) == 0:
        print(f"rtsp_server.py: cannot listen on {args.host}:{args.port} (port in use?)", file=sys.stderr)
        return 1
    main_loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, lambda: main_loop.quit() or False)
    print(f"READY rtsp://{args.host}:{args.port}{args.mount}", flush=True)
    main_loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
