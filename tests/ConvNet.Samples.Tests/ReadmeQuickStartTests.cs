using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;
using FluentAssertions;
using Xunit;

namespace ConvNet.Samples.Tests;

/// <summary>
/// The README's quick start, compiled and run exactly as written: its code block becomes the Program.cs of a new console
/// app (what <c>dotnet new console</c> makes: top-level statements, implicit usings) that references the ConvNet.Core
/// built with these tests, and runs on the shipped Fashion-MNIST subset (given as its first argument).
/// </summary>
public sealed class ReadmeQuickStartTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "convnet-readme-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConvNet.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("The tests run outside the repository.");
    }

    internal static string QuickStart(string readme)
    {
        int heading = readme.IndexOf("\n## Quick start", StringComparison.Ordinal);
        heading.Should().BeGreaterThan(0, "the README has a Quick start section");
        int start = readme.IndexOf("```csharp\n", heading, StringComparison.Ordinal) + "```csharp\n".Length;
        int end = readme.IndexOf("\n```", start, StringComparison.Ordinal);
        return readme[start..end];
    }

    [Fact]
    public void The_quick_start_compiles_and_trains_as_written()
    {
        string root = RepositoryRoot();
        string code = QuickStart(File.ReadAllText(Path.Combine(root, "README.md")));
        code.Should().Contain("FashionMnist.Load(dir)");
        string tensors = Regex.Match(File.ReadAllText(Path.Combine(root, "Directory.Packages.props")), "\"System.Numerics.Tensors\" Version=\"([^\"]+)\"").Groups[1].Value;
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "Program.cs"), code);
        File.WriteAllText(Path.Combine(_dir, "quickstart.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <Reference Include="ConvNet.Core" HintPath="{Path.Combine(AppContext.BaseDirectory, "ConvNet.Core.dll")}" />
                <PackageReference Include="System.Numerics.Tensors" Version="{tensors}" />
              </ItemGroup>
            </Project>
            """);

        var (exit, output) = Dotnet("run -c Release -- \"" + Path.Combine(AppContext.BaseDirectory, "data") + "\"");

        exit.Should().Be(0, output);
        var accuracy = Regex.Match(output, @"Test accuracy: ([0-9.]+) ?%");
        accuracy.Success.Should().BeTrue(output);
        double.Parse(accuracy.Groups[1].Value, CultureInfo.InvariantCulture).Should().BeGreaterThan(80, "five epochs of LeNet-5 on the shipped subset");
        output.Should().Contain("Ankle boot").And.Contain("macro F1");
        File.Exists(Path.Combine(_dir, "lenet.safetensors")).Should().BeTrue();
    }

    private (int Exit, string Output) Dotnet(string arguments)
    {
        var psi = new ProcessStartInfo("dotnet", arguments) { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit(TimeSpan.FromMinutes(10)).Should().BeTrue("the run returns (a hang guard, not a timing assertion)");
        return (p.ExitCode, stdout + stderr.Result);
    }
}
