"""The names of the files an export bundle may hold."""

NETWORK_FILE, DP_FILE, KNN_FILE, CONFIG_FILE = (
    "model/model.safetensors",
    "model/model_dp.safetensors",
    "model/knn_baseline.skops",
    "model/config.json",
)
# The networks again as ONNX, when the export asks for it (guiapp.core.export.onnx_export).
ONNX_FILE, ONNX_DP_FILE = "model/model.onnx", "model/model_dp.onnx"
# Every file this module may write; a re-export into the same folder removes the ones it
# does not write this time, so a model shared yesterday cannot linger after it is withheld today.
BUNDLE_FILES = (
    "model_card.md",
    "model_card.json",
    "privacy.md",
    "report.html",
    "metrics.json",
    "manifest.json",
    "checklist.json",
    "ethics_register.json",
    "predictions.csv",
    NETWORK_FILE,
    DP_FILE,
    KNN_FILE,
    CONFIG_FILE,
    ONNX_FILE,
    ONNX_DP_FILE,
)
