"""mkopo: the library every mkopo Cloud Function imports."""
