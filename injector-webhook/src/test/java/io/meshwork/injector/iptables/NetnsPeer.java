package io.meshwork.injector.iptables;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny TCP peer that the netns test starts inside a network namespace ({@code ip netns exec}).
 * {@code listen ADDR:PORT=NAME ...} answers every connection with NAME; {@code connect ADDR:PORT}
 * prints what it got.
 */
public final class NetnsPeer {

    public static void main(String[] args) throws Exception {
        if (args[0].equals("listen")) {
            List<Thread> threads = new ArrayList<>();
            for (int i = 1; i < args.length; i++) {
                String[] spec = args[i].split("=", 2);
                ServerSocket server = new ServerSocket();
                server.bind(address(spec[0]));
                Thread thread = new Thread(() -> serve(server, spec[1]));
                thread.start();
                threads.add(thread);
            }
            System.out.println("listening");
            System.out.flush();
            for (Thread thread : threads) {
                thread.join();
            }
        } else {
            try (Socket socket = new Socket()) {
                socket.connect(address(args[1]), 3000);
                socket.setSoTimeout(3000);
                System.out.println(new BufferedReader(new InputStreamReader(socket.getInputStream(),
                        StandardCharsets.US_ASCII)).readLine());
            }
        }
    }

    private static void serve(ServerSocket server, String name) {
        while (true) {
            try (Socket socket = server.accept(); OutputStream out = socket.getOutputStream()) {
                out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
            } catch (Exception e) {
                return;
            }
        }
    }

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }
}
