"""Reading handwriting: the preprocessing, character sets, look-alikes and the recognizer."""
