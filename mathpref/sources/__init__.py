"""Reading problems and existing generation logs from files and datasets."""
