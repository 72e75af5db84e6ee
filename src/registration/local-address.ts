import dgram from 'node:dgram';

/**
 * The local address the OS would use to reach `remote`. Connecting a UDP
 * socket selects a route and source address without sending anything.
 */
export async function localAddressFor(remote: string): Promise<string> {
  const socket = dgram.createSocket(remote.includes(':') ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(9, remote, () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}
