<?php

/*
 * opcache.preload script for php-fpm (and other SAPIs).
 *
 * With PHP's default ffi.enable=preload, only code compiled during preload
 * may touch FFI, so this script compiles every Spread\ class and makes sure
 * the FFI scope "SPREAD" exists; Spread\Client then uses FFI::scope('SPREAD').
 *
 *   ; php-fpm started as root (the usual case): write the header once,
 *   ;   php /path/to/libspread/bindings/php/bin/spread-ffi-header /etc/php/8.2/spread_ffi.h
 *   ffi.enable = preload
 *   ffi.preload = /etc/php/8.2/spread_ffi.h
 *   opcache.enable = 1
 *   opcache.preload = /path/to/libspread/bindings/php/preload.php
 *   opcache.preload_user = www-data
 *
 * A master not running as root needs neither ffi.preload nor preload_user:
 * this script then FFI::load()s a header it generates (PHP refuses FFI::load
 * under opcache.preload_user, hence ffi.preload for root).
 */

declare(strict_types=1);

require_once __DIR__ . '/autoload.php';
foreach (glob(__DIR__ . '/src/*.php') as $file) {
    class_exists('Spread\\' . basename($file, '.php'));
}
Spread\Library::preload();
