using System.Text;

namespace PgBorg.Naming;

/// <summary>
/// Reversible encoding of arbitrary names (database names, instance names, host names) into the characters
/// that are safe in a Borg archive name and in a Borg glob: ASCII letters, digits, '.', '_' and '-' stay as they are;
/// every other UTF-8 byte becomes '+' and two upper-case hex digits. '~' (the field separator of archive names),
/// '/', '*', '?', '[' and spaces therefore never appear in an encoded name.
/// </summary>
public static class NameCodec
{
    public static string Encode(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var sb = new StringBuilder(name.Length);
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('+').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return sb.ToString();
    }

    public static bool TryDecode(string encoded, out string name)
    {
        name = "";
        if (encoded.Length == 0)
        {
            return false;
        }
        var bytes = new List<byte>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            var c = encoded[i];
            if (c == '+')
            {
                if (i + 2 >= encoded.Length)
                {
                    return false;
                }
                if (!byte.TryParse(encoded.AsSpan(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var b)
                    || encoded.AsSpan(i + 1, 2).ContainsAnyExcept("0123456789ABCDEF"))
                {
                    return false;
                }
                bytes.Add(b);
                i += 2;
            }
            else if (char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
            {
                bytes.Add((byte)c);
            }
            else
            {
                return false;
            }
        }
        try
        {
            name = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        // canonical form only: one name, one encoding
        return Encode(name) == encoded;
    }
}
