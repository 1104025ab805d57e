using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using ConvNet.Optimizers;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Optimizers;

/// <summary>
/// The open optimizer settings (<see cref="Optimizer.WriteConfig"/> + <see cref="OptimizerRegistry"/>): checkpoints
/// written before it (TestData/legacy, made by the closed-switch serializer) still load, and user optimizers round-trip.
/// </summary>
public sealed class OptimizerSerializationTests : IDisposable
{
    private readonly TempDirectory _temp = new("optimizer-config");

    public void Dispose() => _temp.Dispose();

    private static string Legacy(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "legacy", name);

    [Theory]
    [InlineData("sgd-checkpoint-v1.safetensors")]
    [InlineData("adam-checkpoint-v1.safetensors")]
    public void A_checkpoint_written_by_the_previous_serializer_loads_and_saves_back_identically(string file)
    {
        var bytes = File.ReadAllBytes(Legacy(file));
        var ckpt = ModelSerializer.LoadCheckpoint(Legacy(file));
        (ckpt.CompletedEpochs, ckpt.CompletedBatches, ckpt.Seed).Should().Be((2, 1, 5));
        var opt = ckpt.Optimizer!;
        opt.Steps.Should().Be(3);
        if (file.StartsWith("sgd", StringComparison.Ordinal))
        {
            var sgd = opt.Should().BeOfType<Sgd>().Subject;
            (sgd.LearningRate, sgd.Momentum, sgd.WeightDecay, sgd.Nesterov).Should().Be((0.05, 0.9, 1e-3, true));
        }
        else
        {
            var adam = opt.Should().BeOfType<Adam>().Subject;
            (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Epsilon, adam.WeightDecay).Should().Be((2e-3, 0.85, 0.995, 1e-7, 1e-4));
        }

        var (header, data) = Split(bytes);
        for (int i = 0; i < ckpt.Network.Layers.Count; i++)
        {
            foreach (var p in ckpt.Network.Layers[i].Parameters)
            {
                var state = opt.State(p);
                for (int s = 0; s < state.Count; s++)
                {
                    state[s].Should().Equal(Tensor(header, data, $"optimizer.{opt.StateNames[s]}.layers.{i}.{p.Name}"));
                }
            }
        }

        string again = Path.Combine(_temp.Path, file);
        ModelSerializer.Save(ckpt.Network, again, opt, ckpt.CompletedEpochs, ckpt.CompletedBatches, ckpt.Seed);
        var (header2, data2) = Split(File.ReadAllBytes(again));
        Meta(header2, "convnet.optimizer").Should().Be(Meta(header, "convnet.optimizer"), "the settings keep the old keys, values and order");
        foreach (var name in Names(header).Where(n => n.StartsWith("optimizer.", StringComparison.Ordinal)))
        {
            Tensor(header2, data2, name).Should().Equal(Tensor(header, data, name), name);
        }
    }

    [Fact]
    public void A_registered_user_optimizer_round_trips_its_settings_and_state()
    {
        OptimizerRegistry.Register("TestSignSgd", r => new SignSgd(r.LearningRate, r.GetDouble("scale"), r.GetBoolean("flip", false)));
        OptimizerRegistry.IsRegistered("TestSignSgd").Should().BeTrue();
        OptimizerRegistry.RegisteredTypes.Should().Contain(["Sgd", "Adam", "TestSignSgd"]);

        var net = new Network(3).Add(new FullyConnected(3, 2, seed: 1));
        var opt = new SignSgd(0.25, 1.5, true);
        net.Parameters[0].Gradient.AsSpan().Fill(0.5f);
        opt.Step(net.Parameters);
        string path = Path.Combine(_temp.Path, "custom.safetensors");
        ModelSerializer.Save(net, path, opt);

        var loaded = ModelSerializer.LoadCheckpoint(path).Optimizer.Should().BeOfType<SignSgd>().Subject;
        (loaded.LearningRate, loaded.Scale, loaded.Flip, loaded.Steps).Should().Be((0.25, 1.5, true, 1L));
        var (header, _) = Split(File.ReadAllBytes(path));
        Meta(header, "convnet.optimizer").Should().Be("{\"type\":\"TestSignSgd\",\"scale\":1.5,\"flip\":true,\"learningRate\":0.25,\"steps\":1}");
    }

    [Fact]
    public void Saving_an_unregistered_optimizer_fails_before_writing_and_says_how_to_fix_it()
    {
        string path = Path.Combine(_temp.Path, "never.safetensors");
        FluentActions.Invoking(() => ModelSerializer.Save(new Network(3).Add(new FullyConnected(3, 2)), path, new Unregistered()))
            .Should().Throw<NotSupportedException>().WithMessage("*'Unregistered'*OptimizerRegistry.Register*");
        File.Exists(path).Should().BeFalse();
    }

    [Theory]
    [InlineData("\"type\":\"Sgd\"", "\"type\":\"Sgx\"", "*Unknown optimizer 'Sgx'*")]
    [InlineData("\"momentum\"", "\"momentun\"", "*'Sgd'*'momentum'*")]
    [InlineData("\"nesterov\":true", "\"nesterov\":1234", "*'Sgd'*'nesterov'*")]
    [InlineData("\"momentum\":0.9", "\"momentum\":1.9", "*momentum*")]
    [InlineData("\"steps\":3", "\"steps\":-3", "*step count is negative*")]
    public void Bad_optimizer_settings_are_InvalidDataException(string from, string to, string message)
    {
        var bytes = File.ReadAllBytes(Legacy("sgd-checkpoint-v1.safetensors"));
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        string header = Encoding.UTF8.GetString(bytes, 8, n);
        string escaped = JsonEncodedText.Encode(from).ToString(), replacement = JsonEncodedText.Encode(to).ToString();
        header.Should().Contain(escaped);
        string changed = header.Replace(escaped, replacement, StringComparison.Ordinal);
        var headerBytes = Encoding.UTF8.GetBytes(changed);
        var file = new byte[8 + headerBytes.Length + (bytes.Length - 8 - n)];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)headerBytes.Length);
        headerBytes.CopyTo(file, 8);
        bytes.AsSpan(8 + n).CopyTo(file.AsSpan(8 + headerBytes.Length));
        FluentActions.Invoking(() => ModelSerializer.LoadCheckpoint(new MemoryStream(file)))
            .Should().Throw<InvalidDataException>().WithMessage(message);
    }

    public static IEnumerable<object[]> BadRegistrations()
    {
        yield return ["null type", () => OptimizerRegistry.Register(null!, r => new Sgd(r.LearningRate)), typeof(ArgumentNullException), "type"];
        yield return ["empty type", () => OptimizerRegistry.Register(" ", r => new Sgd(r.LearningRate)), typeof(ArgumentException), "type"];
        yield return ["built-in type", () => OptimizerRegistry.Register("Sgd", r => new Sgd(r.LearningRate)), typeof(ArgumentException), "type"];
        yield return ["null factory", () => OptimizerRegistry.Register("TestNullFactory", null!), typeof(ArgumentNullException), "factory"];
        yield return ["IsRegistered null", (Action)(() => _ = OptimizerRegistry.IsRegistered(null!)), typeof(ArgumentNullException), "type"];
    }

    [Theory]
    [MemberData(nameof(BadRegistrations))]
    public void Bad_registrations_name_the_parameter(string what, Action call, Type exception, string param)
    {
        var e = FluentActions.Invoking(call).Should().Throw<ArgumentException>().Which;
        e.Should().BeOfType(exception, what);
        e.ParamName.Should().Be(param, what);
    }

    private static (JsonElement Header, byte[] Data) Split(byte[] file)
    {
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        using var doc = JsonDocument.Parse(file.AsMemory(8, n));
        return (doc.RootElement.Clone(), file[(8 + n)..]);
    }

    private static string Meta(JsonElement header, string key) => header.GetProperty("__metadata__").GetProperty(key).GetString()!;

    private static IEnumerable<string> Names(JsonElement header) => header.EnumerateObject().Select(p => p.Name).Where(n => n != "__metadata__").ToList();

    private static float[] Tensor(JsonElement header, byte[] data, string name)
    {
        var off = header.GetProperty(name).GetProperty("data_offsets");
        int begin = off[0].GetInt32(), end = off[1].GetInt32();
        var values = new float[(end - begin) / 4];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(begin + (4 * i)));
        }

        return values;
    }

    /// <summary>A user optimizer: W ← W − α · scale · sign(g), with a running count of sign flips as its state.</summary>
    private sealed class SignSgd(double learningRate, double scale, bool flip) : Optimizer(learningRate)
    {
        private static readonly string[] Names = ["last"];

        public double Scale { get; } = scale;

        public bool Flip { get; } = flip;

        public override IReadOnlyList<string> StateNames => Names;

        // `protected internal` only because the tests see the library's internals; a user writes `protected override`.
        protected internal override string ConfigType => "TestSignSgd";

        protected internal override void WriteConfig(Utf8JsonWriter writer)
        {
            writer.WriteNumber("scale", Scale);
            writer.WriteBoolean("flip", Flip);
        }

        protected override void Update(Parameter parameter, Span<float> value, ReadOnlySpan<float> gradient, float[][] state)
        {
            for (int i = 0; i < value.Length; i++)
            {
                float s = Math.Sign(gradient[i]) * (Flip ? -1f : 1f);
                value[i] -= (float)(LearningRate * Scale) * s;
                state[0][i] = s;
            }
        }
    }

    private sealed class Unregistered() : Optimizer(0.1)
    {
        public override IReadOnlyList<string> StateNames => [];

        protected override void Update(Parameter parameter, Span<float> value, ReadOnlySpan<float> gradient, float[][] state)
        {
        }
    }
}
