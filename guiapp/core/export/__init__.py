"""The Export step: the bundle, its model card and report, ONNX, and prediction from a bundle."""
