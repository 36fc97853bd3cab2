"""The page's Python side: the one API the Web Worker calls."""
