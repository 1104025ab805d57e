using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using ConvNet.Optimizers;

namespace ConvNet.Serialization;

/// <summary>
/// The optimizer settings of a checkpoint (the <c>convnet.optimizer</c> metadata string):
/// <c>{"type": …, &lt;the optimizer's own settings&gt;, "learningRate": α₀, "steps": t}</c>. The optimizer writes its
/// settings (<see cref="Optimizer.WriteConfig"/>); <see cref="OptimizerRegistry"/> maps the type back to a factory.
/// </summary>
internal static class OptimizerSerialization
{
    public static string Write(Optimizer optimizer)
    {
        string type = optimizer.ConfigType;
        if (string.IsNullOrWhiteSpace(type) || !OptimizerRegistry.IsRegistered(type))
        {
            throw new NotSupportedException(
                $"Optimizer {optimizer.GetType().FullName} is saved as type '{type}', which has no registered factory, so the checkpoint could not be loaded: " +
                $"call OptimizerRegistry.Register(\"{type}\", reader => …) first.");
        }

        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            optimizer.WriteConfig(w);
            w.WriteNumber("learningRate", optimizer.BaseLearningRate ?? optimizer.LearningRate);
            w.WriteNumber("steps", optimizer.Steps);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }

    public static Optimizer Read(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false });
            var o = doc.RootElement;
            if (o.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException("The optimizer settings must be a JSON object.");
            }

            string type = o.GetProperty("type").GetString() ?? throw new InvalidDataException("The optimizer type must be a string.");
            double lr = o.GetProperty("learningRate").GetDouble();
            if (!OptimizerRegistry.TryGetFactory(type, out var factory))
            {
                throw new InvalidDataException($"Unknown optimizer '{type}'; register its factory with OptimizerRegistry.Register before loading.");
            }

            var opt = factory(new OptimizerConfigReader(type, o, lr))
                ?? throw new InvalidOperationException($"The factory registered for optimizer '{type}' returned null.");
            opt.LearningRate = lr;
            long steps = o.GetProperty("steps").GetInt64();
            if (steps < 0)
            {
                throw new InvalidDataException("The optimizer step count is negative.");
            }

            opt.Steps = steps;
            return opt;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException("The optimizer settings are invalid: " + e.Message, e);
        }
    }
}
