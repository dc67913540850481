package io.splitguard.launcher.conventions;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One test naming style in every module: {@code shouldDoXWhenY}. Reads the test sources of the whole
 * repository (the launcher sees them all as its siblings).
 */
class TestNamesTest {

    /** A test annotation, then further annotations (arguments, line comments) and modifiers, then the method. */
    private static final Pattern TEST_METHOD =
            Pattern.compile("@(?:Test|ParameterizedTest|RepeatedTest|TestFactory|TestTemplate)\\b(?:\\([^)]*\\))?\\s*"
                    + "(?:(?://[^\\n]*\\s*)|(?:@[\\w.]+(?:\\([^)]*\\))?\\s*))*"
                    + "(?:(?:public|protected|private|static|final)\\s+)*void\\s+(\\w+)\\s*\\(");

    private static final Pattern TEST_ANNOTATION =
            Pattern.compile("@(?:Test|ParameterizedTest|RepeatedTest|TestFactory|TestTemplate)\\b(?![.\\w])");

    /**
     * Names of test methods in {@code source} that do not follow the style, and a marker for test
     * annotations this check could not follow to their method (so none escapes it unread).
     */
    static List<String> offenders(String source) {
        List<String> bad = new ArrayList<>();
        Matcher m = TEST_METHOD.matcher(source);
        int found = 0;
        while (m.find()) {
            found++;
            String name = m.group(1);
            if (!name.matches("should[A-Z0-9]\\w*")) {
                bad.add(name);
            }
        }
        long annotations = TEST_ANNOTATION.matcher(source).results().count();
        if (annotations != found) {
            bad.add("(" + (annotations - found) + " test annotations not followed to a method)");
        }
        return bad;
    }

    @Test
    void shouldNameEveryTestMethodInTheRepositoryShouldDoSomething() throws IOException {
        Path root = Path.of("").toAbsolutePath().getParent();
        List<String> offenders = new ArrayList<>();
        int methods;
        try (Stream<Path> modules = Files.list(root)) {
            List<Path> sources = modules.map(m -> m.resolve("src/test/java"))
                    .filter(Files::isDirectory)
                    .flatMap(TestNamesTest::javaFiles)
                    .toList();
            methods = 0;
            for (Path file : sources) {
                String text = Files.readString(file);
                Matcher m = TEST_METHOD.matcher(text);
                while (m.find()) {
                    methods++;
                }
                offenders(text).forEach(name -> offenders.add(root.relativize(file) + ": " + name));
            }
        }
        // the scan found the repository's tests, not an empty directory
        assertThat(methods).isGreaterThan(200);
        assertThat(offenders).as("test methods not named shouldDoXWhenY").isEmpty();
    }

    @Test
    void shouldReportATestMethodThatDoesNotStartWithShould() {
        String source =
                """
                class Example {
                    #Test
                    void shouldPassWhenNamedWell() {}

                    #ParameterizedTest
                    #ValueSource(ints = {1, 2})
                    void acceptsNumbers(int n) {}

                    #Test
                    void should() {}

                    void helperNotATest() {}
                }
                """
                        .replace('#', '@'); // written with # so the repository scan does not read this example
        assertThat(offenders(source)).containsExactly("acceptsNumbers", "should");
        assertThat(offenders("class Odd {\n  #Test\n  int notVoid() { return 1; }\n}".replace('#', '@')))
                .containsExactly("(1 test annotations not followed to a method)");
    }

    private static Stream<Path> javaFiles(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.toString().endsWith(".java")).toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
