"""Training data: the UNIPEN strokes, their rendering, augmentation and batches."""
