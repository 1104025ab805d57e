using System.Globalization;
using System.IO;
using System.Text.Json;

namespace ConvNet.Serialization;

/// <summary>The <see cref="TrainingRun"/> record in a checkpoint's <c>__metadata__</c> (all values are strings, as
/// safetensors requires): absent in older files, complete when present (the sample count aside).</summary>
internal static class TrainingRunMetadata
{
    private const string BatchSize = "convnet.batchSize";
    private const string Epochs = "convnet.totalEpochs";
    private const string Shuffle = "convnet.shuffle";
    private const string Schedule = "convnet.schedule";
    private const string Samples = "convnet.samples";
    private const string Factor = "convnet.lrFactor";

    public static void Write(Utf8JsonWriter w, TrainingRun run)
    {
        w.WriteString(BatchSize, run.BatchSize.ToString(CultureInfo.InvariantCulture));
        w.WriteString(Epochs, run.Epochs.ToString(CultureInfo.InvariantCulture));
        w.WriteString(Shuffle, run.Shuffle ? "true" : "false");
        w.WriteString(Schedule, run.Schedule);
        if (run.SampleCount is int samples)
        {
            w.WriteString(Samples, samples.ToString(CultureInfo.InvariantCulture));
        }

        if (run.LearningRateFactor != 1)
        {
            w.WriteString(Factor, run.LearningRateFactor.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    public static TrainingRun? Read(JsonElement meta)
    {
        if (!meta.TryGetProperty(BatchSize, out _) && !meta.TryGetProperty(Epochs, out _) && !meta.TryGetProperty(Shuffle, out _)
            && !meta.TryGetProperty(Schedule, out _) && !meta.TryGetProperty(Samples, out _))
        {
            return null;
        }

        int batchSize = Positive(meta, BatchSize);
        int epochs = Positive(meta, Epochs);
        bool shuffle = Text(meta, Shuffle) switch
        {
            "true" => true,
            "false" => false,
            var other => throw new InvalidDataException($"The model file's {Shuffle} is '{other}', not 'true' or 'false'."),
        };
        string schedule = Text(meta, Schedule);
        int? samples = meta.TryGetProperty(Samples, out _) ? Positive(meta, Samples) : null;
        double factor = 1;
        if (meta.TryGetProperty(Factor, out _))
        {
            string text = Text(meta, Factor);
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out factor) || !double.IsFinite(factor) || factor < 0)
            {
                ThrowHelper.InvalidData($"The model file's {Factor} is '{text}', not a finite number >= 0.");
            }
        }

        return new TrainingRun(batchSize, epochs, shuffle, schedule, samples) { LearningRateFactor = factor };
    }

    private static int Positive(JsonElement meta, string key)
    {
        string text = Text(meta, key);
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value <= 0)
        {
            ThrowHelper.InvalidData($"The model file's {key} is '{text}', not a positive integer.");
        }

        return value;
    }

    private static string Text(JsonElement meta, string key)
    {
        if (!meta.TryGetProperty(key, out var v) || v.ValueKind != JsonValueKind.String)
        {
            ThrowHelper.InvalidData($"The model file's training record is incomplete or malformed: '{key}' is missing or not a string.");
        }

        return v.GetString()!;
    }
}
