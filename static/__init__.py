"""Static files (CSS) shipped with the app; a package so that it installs with it."""
