"""Camera -> Frame: reading cameras and files, the encoded-packet ring, and writing browser-playable H.264.

``source`` (CameraSource: reader thread, reconnects, health), ``ring`` (pre-event packet buffer and
stream-copy remux), ``timing`` (one monotonic stream clock), ``decode`` (Frame, StreamError, a plain file
reader), ``writer`` (H.264 MP4 encoding). Import the submodules; this package imports nothing itself.
"""
