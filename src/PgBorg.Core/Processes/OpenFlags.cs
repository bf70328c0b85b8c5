namespace PgBorg.Processes;

/// <summary>open(2)'s flags that pgborg uses, with Linux's values on x86-64 (the only architecture it is built for).</summary>
[Flags]
public enum OpenFlags
{
    ReadOnly = 0,
    NonBlock = 0x800,
    Directory = 0x10000,
    NoFollow = 0x20000,
    CloseOnExec = 0x80000,
}
