namespace AkkaRedis.Keyspace.Server;

/// <summary>
/// ASCII sparklines as Redis draws LATENCY GRAPH (sparkline.c): each sample is a column, its height in rows of three
/// steps each ('_', 'o', '#' with columns filled by '|'), scaled between the smallest and largest sample, with each
/// sample's label written downwards beneath it after one blank line. Longer sequences wrap every <c>columns</c> samples.
/// </summary>
public static class Sparkline
{
    private const string Steps = "_o#";

    public static string Render(IReadOnlyList<(double Value, string Label)> samples, int columns, int rows)
    {
        var output = new System.Text.StringBuilder();
        if (samples.Count == 0) return "";
        double min = samples.Min(s => s.Value), max = samples.Max(s => s.Value);
        for (int first = 0; first < samples.Count; first += columns)
        {
            if (first != 0) output.Append('\n');
            RenderRange(output, samples, first, Math.Min(columns, samples.Count - first), rows, min, max);
        }
        return output.ToString();
    }

    private static void RenderRange(System.Text.StringBuilder output, IReadOnlyList<(double Value, string Label)> samples, int first, int count,
        int rows, double min, double max)
    {
        double range = max - min == 0 ? 1 : max - min;
        int steps = Steps.Length * rows;
        var line = new char[count];
        for (int row = 0; ; row++)
        {
            bool printed = false;
            Array.Fill(line, ' ');
            for (int j = 0; j < count; j++)
            {
                var (value, label) = samples[first + j];
                if (row < rows)
                {
                    // (int)(relval * steps) / relmax, as sparkline.c computes it: truncated twice.
                    int step = (int)((int)((value - min) * steps) / range);
                    step = Math.Clamp(step, 0, steps - 1);
                    int index = step - (rows - row - 1) * Steps.Length;
                    printed = true;
                    if (index >= 0 && index < Steps.Length) line[j] = Steps[index];
                    else if (index >= Steps.Length) line[j] = '|';
                }
                else if (row == rows)
                {
                    // The blank line between the graph and the labels.
                    printed = true;
                    break;
                }
                else if (label.Length > row - rows - 1)
                {
                    printed = true;
                    line[j] = label[row - rows - 1];
                }
            }
            if (!printed) return;
            output.Append(line).Append('\n');
        }
    }
}
