<?php

declare(strict_types=1);

namespace Spread\Tests;

use PHPUnit\Framework\TestCase;
use Spread\Client;
use Spread\Exception;
use Spread\InternalException;
use Spread\Library;
use Spread\LibraryException;
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

    public function testStatusConstantsMatchTheCEnum(): void
    {
        $ffi = Library::get()->ffi;
        $constants = (new \ReflectionClass(Exception::class))->getConstants(\ReflectionClassConstant::IS_PUBLIC);
        unset($constants['STATUS']);
        $this->assertCount(16, $constants);
        foreach ($constants as $name => $code) {
            $cName = in_array($name, ['OK', 'QUEUED'], true) ? "SPREAD_$name" : "SPREAD_ERR_$name";
            $this->assertSame($ffi->$cName, $code, $cName);
            $this->assertSame($cName, $ffi->spread_status_name($code));
            if ($code >= 10) {
                $e = Exception::fromStatus($code, "message $code");
                $this->assertSame($code, $e->getCode());
                $this->assertSame("message $code", $e->getMessage());
                $this->assertSame($code === Exception::NULL_ARGUMENT ? InternalException::STATUS : $code, $e::STATUS, get_class($e));
            }
        }
        $this->assertInstanceOf(InternalException::class, Exception::fromStatus(12345, 'x'));
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
