"""Camera -> Frame: decoding video sources, and writing browser-playable H.264."""
