"""HTML templates of the public pages (string.Template); a package so they ship with the wheel."""
