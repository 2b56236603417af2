"""The dashboard's colours, in one place: originals blue and reconstructions red, as in the study."""

ORIGINAL_COLOR = "#1f77b4"
RECONSTRUCTION_COLOR = "#d62728"
AE_COLOR = RECONSTRUCTION_COLOR
PCA_COLOR = "#7f7f7f"
KNEE_COLOR = "#ff7f0e"
#: One colour per digit 0-9 (plotly's qualitative "D3" palette reordered so no digit is blue/red).
DIGIT_COLORS = (
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#637939",
)
#: The auto-encoder diagram: the input is an original, the output a reconstruction.
STAGE_COLORS = {
    "input": ORIGINAL_COLOR,
    "encoder": "#9ecae1",
    "code": KNEE_COLOR,
    "decoder": "#fcbba1",
    "output": RECONSTRUCTION_COLOR,
}
#: Rate–distortion families (core/ratedistortion/records.py): AE red and PCA grey as everywhere else.
FAMILY_COLORS = {
    "auto-encoder": AE_COLOR,
    "PCA": PCA_COLOR,
    "JPEG": "#9467bd",
    "WebP": "#2ca02c",
    "PNG": "#8c564b",
    "raw": "#000000",
    "JPEG XL": "#17becf",
    "LZMA": "#bcbd22",
    "AE codec": "#67000d",
}
#: How a rate–distortion method stores the set (core.ratedistortion.codecs.FRAMINGS): one file solid and
#: filled, a file per digit dashed and hollow, codes as bare numbers dotted.
FRAMING_LINE = {"headers shared": "solid", "per file": "dash", "codes as numbers": "dot"}
FRAMING_MARKER = {"headers shared": "circle", "per file": "circle-open", "codes as numbers": "square-open"}
#: How a latent method's codes are stored, drawn as the marker (codes as numbers).
STORAGE_MARKER = {"float32": "square-open", "float16": "diamond-open", "8-bit": "x-thin-open"}
#: The model lab's training loss (its test MSE uses AE_COLOR, as on the error curve).
TRAIN_COLOR = "#9467bd"
#: Shades of red for several levels side by side, least compressed (lightest) first.
LEVEL_REDS = ("#fcae91", "#fb6a4a", "#de2d26", "#a50f15", "#67000d")
#: A code's storage as bars: darker for more bytes per number.
STORAGE_SHADES = {"float32": "#a50f15", "float16": "#de2d26", "uint8": "#fc9272"}
#: The background behind a heatmap's cells (the confusion matrix), so empty cells read as empty.
GRID_BACKGROUND = "#f4f4f4"
