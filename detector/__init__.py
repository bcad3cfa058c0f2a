"""Frame -> Detections -> Tracks -> Events. `detector.yolo` is the only module importing ultralytics."""
