using System.Globalization;
using PgBorg.Processes;

namespace PgBorg.PostgreSql;

/// <summary>
/// This same binary started as the instance's service user (<c>pgborg __inventory|__session SOCKET PORT USER</c>), so
/// Npgsql connects over the Unix socket with peer authentication and root never needs a PostgreSQL password.
/// </summary>
internal static class ServiceUserHelper
{
    public static ProcessSpec Spec(PgInstance instance, string command)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell the path of this program");
        return ProcessSpec.AsUser(instance.User, self,
            [command, instance.SocketDirectory, instance.Port.ToString(CultureInfo.InvariantCulture), instance.User.Name]);
    }
}
