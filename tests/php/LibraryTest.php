<?php

declare(strict_types=1);

namespace Spread\Tests;

use PHPUnit\Framework\TestCase;
use Spread\ApiException;
use Spread\Client;
use Spread\Exception;
use Spread\InternalException;
use Spread\Library;
use Spread\LibraryException;
use Spread\Order;
use Spread\Tests\Support\Php;
use Spread\Tests\Support\Seed;

/** Finding and loading libspread, and the status codes against the C enum. */
final class LibraryTest extends TestCase
{
    public function testAMissingExplicitLibraryIsALibraryException(): void
    {
        try {
            new Client('PUBLIC_KEY', 'PRIVATE_KEY', ['library' => '/nonexistent/libspread.so']);
            $this->fail('no exception');
        } catch (LibraryException $e) {
            $this->assertInstanceOf(Exception::class, $e);
            $this->assertStringStartsWith('libspread not found; tried: /nonexistent/libspread.so (library option).', $e->getMessage());
        }
    }

    public function testTheMessageListsEveryPathTried(): void
    {
        $pkg = $this->copyOfTheBinding(withLibrary: false);
        [$code, $out, $err] = $this->inPackage($pkg, 'new Spread\Client("PUBLIC_KEY", "PRIVATE_KEY");', ['SPREAD_LIBRARY' => '/nope/libspread.so']);
        $this->assertSame(1, $code, $out . $err);
        $root = dirname($pkg, 2);
        $this->assertStringContainsString(
            "Spread\\LibraryException: libspread not found; tried: /nope/libspread.so (env SPREAD_LIBRARY), "
            . "$pkg/lib/libspread.so (shipped copy), $root/target/release/libspread.so (source checkout).",
            $out,
        );
    }

    public function testTheShippedCopyIsUsedWithItsHeader(): void
    {
        $pkg = $this->copyOfTheBinding(withLibrary: true);
        [$code, $out, $err] = $this->inPackage($pkg, 'echo Spread\Library::get()->path, "\n", Spread\Order::fromArray(' . var_export(Seed::postData(), true) . ')->encode();');
        $this->assertSame(0, $code, $err);
        $this->assertSame("$pkg/lib/libspread.so\n" . Seed::body(), $out);
    }

    public function testSpreadLibraryEnvWins(): void
    {
        $dir = Php::tempDir('spread-php-env-');
        copy(Php::repo() . '/target/release/libspread.so', "$dir/libspread.so");
        [$code, $out, $err] = $this->inPackage(Php::repo() . '/bindings/php', 'echo Spread\Library::get()->path, " ", Spread\Library::get()->version();', ['SPREAD_LIBRARY' => "$dir/libspread.so"]);
        $this->assertSame(0, $code, $err);
        $this->assertSame("$dir/libspread.so " . Library::get()->version(), $out);
    }

    public function testOneFfiInstancePerLibrary(): void
    {
        $path = Library::get()->path;
        $this->assertSame(Library::get(), Library::get());
        $this->assertSame(Library::get($path), Library::get($path));
        $this->assertMatchesRegularExpression('/^\d+\.\d+\.\d+/', Library::get()->version());
    }

    public function testStatusConstantsAreTheLibrarysStatusCodesBothWays(): void
    {
        $lib = Library::get();
        $constants = (new \ReflectionClass(Exception::class))->getConstants(\ReflectionClassConstant::IS_PUBLIC);
        unset($constants['STATUS']);
        $byName = [];
        foreach ($lib->statusCodes() as $code) {
            $byName[preg_replace('/^SPREAD_(ERR_)?/', '', $lib->ffi->spread_status_name($code))] = $code;
        }
        $this->assertSame($byName, $constants, 'Spread\Exception\'s constants vs spread_status_code/spread_status_name');
        foreach ($constants as $name => $code) {
            $this->assertSame($lib->ffi->{in_array($name, ['OK', 'QUEUED'], true) ? "SPREAD_$name" : "SPREAD_ERR_$name"}, $code, $name);
        }
    }

    /**
     * The PHP exception tree is the library's: for every status, the class
     * spread_status_class names, under the parent spread_status_parent_class
     * names; every ancestor of those, the grouping classes no status names
     * (Api) included, under the parent spread_class_parent names; and every
     * Spread\ exception class is one the library names (or this binding's
     * own LibraryException).
     */
    public function testTheExceptionTreeIsTheLibrarysBothWays(): void
    {
        $lib = Library::get();
        $named = []; // class => its parent, as the library says
        foreach ($lib->statusCodes() as $code) {
            $stem = $lib->ffi->spread_status_class($code);
            if ($stem === '') {
                $this->assertContains($code, [Exception::OK, Exception::QUEUED]);
                continue;
            }
            $class = Library::exceptionClassOf($stem);
            $parent = Library::exceptionClassOf($lib->ffi->spread_status_parent_class($code));
            $this->assertTrue(class_exists($class), "status $code: $class is missing");
            $this->assertSame(self::parentInTree($class), $parent, "status $code: the parent of $class");
            $this->assertSame($class, $lib->exceptionClass($code));
            $e = $lib->exception($code, "message $code", 418);
            $this->assertInstanceOf($class, $e);
            $this->assertSame([$code, "message $code", 418], [$e->getCode(), $e->getMessage(), $e->httpStatus()]);
            $this->assertSame($code, $class::STATUS, "$class::STATUS");
            $this->assertSame($lib->ffi->spread_status_parent_class($code), $lib->classParent($stem), "status $code: the two functions agree");
            // The class and each of its ancestors up to the root, under the parent the library names.
            for (; $stem !== ''; $stem = $up) {
                $up = $lib->classParent($stem);
                $this->assertIsString($up, "$stem is a class of the library's");
                $named[Library::exceptionClassOf($stem)] = $up === '' ? \RuntimeException::class : Library::exceptionClassOf($up);
            }
        }
        $this->assertSame(Exception::class, $named[ApiException::class] ?? null, 'a grouping class: Api under Error');
        $this->assertSame(\RuntimeException::class, $named[Exception::class], 'Error is the root');
        $this->assertNull($lib->classParent('NoSuchClass'));
        $this->assertSame(InternalException::class, $lib->exceptionClass(12345), 'an unknown status');
        $this->assertSame('Internal', $lib->ffi->spread_status_class(12345));

        $ours = [LibraryException::class => Exception::class];
        $files = array_filter(glob(Php::repo() . '/bindings/php/src/*Exception.php'), fn ($f) => basename($f) !== 'SpreadException.php');
        foreach ($files as $file) {
            $class = 'Spread\\' . basename($file, '.php');
            $this->assertArrayHasKey($class, $named + $ours, "$class is no class of the library's tree");
            $this->assertSame(($named + $ours)[$class], self::parentInTree($class), "the parent of $class");
        }
        $this->assertCount(count($named + $ours), $files);
    }

    /**
     * The parent of an exception class in the library's tree: its PHP parent,
     * except that the library's root (Spread\Exception) stands for
     * SpreadException under an exception that is an \InvalidArgumentException.
     */
    private static function parentInTree(string $class): string|false
    {
        $parent = get_parent_class($class);
        if ($parent === \InvalidArgumentException::class && is_subclass_of($class, \Spread\SpreadException::class)) {
            return Exception::class;
        }
        return $parent;
    }

    public function testMaxConcurrencyIsTheLibrarys(): void
    {
        $this->assertSame(Library::get()->ffi->spread_max_concurrency(), Library::get()->maxConcurrency());
        $this->assertFalse(defined(Client::class . '::MAX_CONCURRENCY'), 'no copy of the library\'s limit in the binding');
    }

    /**
     * A library built for another ABI (here a stand-in compiled now, whose
     * spread_abi_version() returns 1) is refused before anything else is
     * read from it: no header is parsed, no other function resolved.
     */
    public function testALibraryOfAnotherAbiIsRefusedNamingBothVersionsAndThePath(): void
    {
        $dir = Php::tempDir('spread-php-abi-');
        file_put_contents("$dir/abi1.c", "int spread_abi_version(void) { return 1; }\nconst char *spread_version(void) { return \"0.0.9\"; }\n");
        [$code, , $err] = Php::run(['cc', '-shared', '-fPIC', '-o', "$dir/libspread.so", "$dir/abi1.c"]);
        $this->assertSame(0, $code, $err);
        file_put_contents("$dir/spread_ffi.h", "this header must not be read: it is not C\n");

        $expected = "libspread at $dir/libspread.so (version 0.0.9) has ABI version 1, but this PHP binding needs ABI version 3";
        foreach ([
            fn () => new Client('PUBLIC_KEY', 'PRIVATE_KEY', ['library' => "$dir/libspread.so"]),
            fn () => new Order("$dir/libspread.so"),
            fn () => Library::preloadHeader("$dir/libspread.so"),
        ] as $load) {
            try {
                $load();
                $this->fail('the library was accepted');
            } catch (LibraryException $e) {
                $this->assertStringStartsWith($expected, $e->getMessage());
                $this->assertSame(0, $e->getCode());
            }
        }
        // The same through SPREAD_LIBRARY in a fresh process, as a shop would meet it.
        [$code, $out, $err] = $this->inPackage(Php::repo() . '/bindings/php', 'new Spread\Client("PUBLIC_KEY", "PRIVATE_KEY");', ['SPREAD_LIBRARY' => "$dir/libspread.so"]);
        $this->assertSame(1, $code, $err);
        $this->assertStringStartsWith("Spread\\LibraryException: $expected", $out);
    }

    public function testALibraryWithoutAnAbiVersionIsRefused(): void
    {
        $dir = Php::tempDir('spread-php-abi-');
        file_put_contents("$dir/old.c", "const char *spread_version(void) { return \"0.1.0\"; }\n");
        [$code, , $err] = Php::run(['cc', '-shared', '-fPIC', '-o', "$dir/libspread.so", "$dir/old.c"]);
        $this->assertSame(0, $code, $err);
        $this->expectException(LibraryException::class);
        $this->expectExceptionMessage("cannot check the ABI version of $dir/libspread.so: Failed resolving C function 'spread_abi_version' (is it libspread? this PHP binding needs ABI version 3)");
        Library::get("$dir/libspread.so");
    }

    /**
     * Every C function the binding calls through FFI is declared in include/spread_ffi.h: FFI
     * finds a missing one only when the call runs, which for a rare path is in production. Read
     * from the source with PHP's tokenizer: the `->spread_x(` calls, and the two calls by a
     * computed name, with the names they compute (Client's NATIVE_OPTIONS setters, Order::tag()'s lists).
     */
    public function testEveryFunctionTheBindingCallsIsInTheFfiHeader(): void
    {
        $header = (string)preg_replace('#/\*.*?\*/|//[^\n]*#s', '', (string)file_get_contents(Php::repo() . '/include/spread_ffi.h'));
        preg_match_all('/\b(spread_\w+)\s*\(/', $header, $m);
        $declared = array_flip($m[1]);
        $this->assertArrayHasKey('spread_abi_version', $declared);

        $dir = Php::repo() . '/bindings/php';
        $files = [...glob("$dir/bin/*"), "$dir/preload.php"];
        foreach (new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator("$dir/src", \FilesystemIterator::SKIP_DOTS)) as $file) {
            $files[] = (string)$file;
        }
        $called = [];
        $computed = [];
        foreach ($files as $file) {
            $source = (string)file_get_contents($file);
            $tokens = array_values(array_filter(token_get_all($source), static fn ($t): bool => !is_array($t) || $t[0] !== T_WHITESPACE));
            foreach ($tokens as $i => $token) {
                if (!is_array($token) || !in_array($token[0], [T_OBJECT_OPERATOR, T_NULLSAFE_OBJECT_OPERATOR], true)) {
                    continue;
                }
                $next = $tokens[$i + 1] ?? null;
                if (is_array($next) && $next[0] === T_STRING && str_starts_with($next[1], 'spread_') && ($tokens[$i + 2] ?? null) === '(') {
                    $called[$next[1]][] = basename($file) . ':' . $next[2];
                } elseif (in_array(is_array($tokens[$i - 1]) ? $tokens[$i - 1][1] : '', ['ffi', '$ffi'], true) && ($next === '{' || $next[0] === T_VARIABLE && ($tokens[$i + 2] ?? null) === '(')) {
                    $computed[] = basename($file) . ' ' . (is_array($next) ? $next[1] : $this->braced($tokens, $i + 1));
                }
            }
        }
        // A new call by a computed name must be taught to this test.
        // (Client's options go through spread_client_set_option by name: no computed call.)
        $this->assertSame(['Order.php {"spread_order_$list"}'], $computed);
        preg_match_all('/\$this->tag\(\'(\w+)\'/', (string)file_get_contents("$dir/src/Order.php"), $tags);
        $this->assertNotEmpty($tags[1]);
        foreach ($tags[1] as $list) {
            $called["spread_order_$list"][] = 'Order.php (tag)';
        }
        $this->assertGreaterThan(50, count($called), 'the calls were not found');
        $this->assertSame([], array_diff_key($called, $declared), 'called through FFI but not in include/spread_ffi.h');
    }

    /** @param list<mixed> $tokens the source text of the braces that start at $start */
    private function braced(array $tokens, int $start): string
    {
        $text = '';
        for ($i = $start; $i < count($tokens); $i++) {
            $text .= is_array($tokens[$i]) ? $tokens[$i][1] : $tokens[$i];
            if ($tokens[$i] === '}') {
                break;
            }
        }
        return $text;
    }

    /** A copy of bindings/php in a temp dir outside any checkout, optionally with lib/libspread.so and lib/spread_ffi.h. */
    private function copyOfTheBinding(bool $withLibrary): string
    {
        $pkg = Php::tempDir('spread-php-pkg-') . '/bindings/php';
        mkdir("$pkg/lib", 0700, true);
        exec('cp -r ' . escapeshellarg(Php::repo() . '/bindings/php/src') . ' ' . escapeshellarg(Php::repo() . '/bindings/php/autoload.php') . ' ' . escapeshellarg($pkg));
        if ($withLibrary) {
            copy(Php::repo() . '/target/release/libspread.so', "$pkg/lib/libspread.so");
            copy(Php::repo() . '/include/spread_ffi.h', "$pkg/lib/spread_ffi.h");
        }
        return $pkg;
    }

    /** Runs PHP code with $pkg's autoloader in a fresh process; an uncaught exception prints "Class: message". */
    private function inPackage(string $pkg, string $code, array $env = []): array
    {
        $script = Php::tempDir('spread-php-script-') . '/main.php';
        file_put_contents($script, "<?php\nrequire " . var_export("$pkg/autoload.php", true) . ";\n"
            . "try { $code } catch (Throwable \$e) { echo get_class(\$e), ': ', \$e->getMessage(); exit(1); }\n");
        return Php::script($script, env: $env + ['PATH' => getenv('PATH') ?: '/usr/bin:/bin']);
    }
}
