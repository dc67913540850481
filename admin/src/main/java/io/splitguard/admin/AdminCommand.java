package io.splitguard.admin;

import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every command shares: the resolved settings and the output streams. */
abstract class AdminCommand {

    @Spec
    CommandSpec spec;

    AdminSettings settings() {
        return ((SplitGuardAdmin) spec.root().userObject()).resolve();
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
