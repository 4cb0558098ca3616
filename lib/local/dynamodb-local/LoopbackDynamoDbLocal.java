import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local with its HTTP connector on 127.0.0.1 only. The jar has no bind-address option: its Jetty server
 * listens on every interface, and DynamoDB Local accepts any credentials, so anyone on the network could read and
 * write the shop's customers. This builds the server exactly as the jar's own main does (same command line), then
 * sets the host on its connector before it starts. Telemetry is never configured here, so none is sent.
 *
 * Any surprise (a renamed field, another connector type) ends the process before it listens: never a silent
 * fallback to every interface.
 */
public final class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local has no connector to bind to loopback");
    for (Connector connector : connectors) {
      if (!(connector instanceof ServerConnector)) throw new IllegalStateException("unexpected connector " + connector.getClass().getName());
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    proxy.start();
    System.out.println("winback: DynamoDB Local listening on 127.0.0.1 only");
  }
}
