package leaks

import "errors"

var ErrConfig = errors.New("config")
