"""HTML templates of the console pages (string.Template); a package so they ship with the wheel."""
