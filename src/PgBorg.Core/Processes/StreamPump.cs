namespace PgBorg.Processes;

/// <summary>Copies one child's stdout into another's stdin through a bounded buffer: memory stays constant whatever the size.</summary>
public static class StreamPump
{
    public const int BufferSize = 1 << 20;

    /// <summary>Result of a pump: bytes moved, and whether the reader closed its end before we were done.</summary>
    public readonly record struct PumpResult(long Bytes, bool ReaderClosedEarly);

    /// <param name="closeDestination">Close <paramref name="to"/> at the end (a child's stdin: EOF); not for our own stdout.</param>
    public static async Task<PumpResult> CopyAsync(Stream from, Stream to, CancellationToken cancellationToken, bool closeDestination = true)
    {
        var buffer = new byte[BufferSize];
        long total = 0;
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                try
                {
                    await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    return new PumpResult(total, true);
                }
                total += n;
            }
            try
            {
                await to.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                return new PumpResult(total, true);
            }
            return new PumpResult(total, false);
        }
        finally
        {
            try
            {
                if (closeDestination)
                {
                    to.Close();
                }
            }
            catch (IOException)
            {
                // reader already gone; reported above
            }
        }
    }
}
