using PgBorg.Progress;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace PgBorg.Cli.Progress;

/// <summary>
/// The figures beside a bar, in the same words as the plain lines (<see cref="ProgressText"/>): Spectre's own
/// columns would show a transfer speed and time left even when the total is only a guess or unknown.
/// </summary>
internal sealed class TransferColumn : ProgressColumn
{
    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
        new Text(task.Tag is TransferReading r ? ProgressText.Figures(r) : "");
}
