// A Java agent that does nothing. LocalStack always starts DynamoDB Local with
// -javaagent:<lib>/dynamodb-local/2/ddb-local-loader-0.1.jar (its own agent,
// which patches DynamoDB Local to allow more than 20 GSIs, is downloaded from
// GitHub - unreachable here). install.sh compiles this into that jar so the
// JVM starts; DynamoDB Local then keeps its stock limits (20 GSIs per table).
package store.localstack;

import java.lang.instrument.Instrumentation;

public final class NoopAgent {
    private NoopAgent() {}

    public static void premain(String args, Instrumentation inst) {}

    public static void agentmain(String args, Instrumentation inst) {}
}
