; Inno Setup 6 recipe for Tenfold's Windows installer.
; First build the bundle:  py packaging\build.py --variant cpu   (makes dist\cpu\tenfold\)
; then, if build.py did not find iscc on PATH:
;   iscc /DVariant=cpu /DAppVersion=0.1.0 packaging\windows\tenfold.iss
; The installer lands in dist\. It installs per user (no administrator rights) unless the
; person chooses "for all users"; it adds a Start-menu entry and, optionally, a desktop icon.

#ifndef Variant
  #define Variant "cpu"
#endif
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6B0E2F0A-3C1D-4E5B-9A7E-7E4F1C2B9D10}
AppName=Tenfold
AppVersion={#AppVersion}
AppVerName=Tenfold {#AppVersion}
AppPublisher=The Tenfold developers
DefaultDirName={autopf}\Tenfold
DefaultGroupName=Tenfold
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=Tenfold-{#AppVersion}-windows-x64-{#Variant}-setup
SetupIconFile=..\..\guiapp\resources\icons\tenfold.ico
UninstallDisplayIcon={app}\Tenfold.exe
Compression=lzma2
SolidCompression=yes
; The CUDA variant is larger than one setup file may be: split it into setup.exe + .bin parts.
#if Variant == "cuda"
DiskSpanning=yes
DiskSliceSize=max
#endif
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\{#Variant}\tenfold\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Tenfold"; Filename: "{app}\Tenfold.exe"
Name: "{autodesktop}\Tenfold"; Filename: "{app}\Tenfold.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\Tenfold.exe"; Description: "{cm:LaunchProgram,Tenfold}"; Flags: nowait postinstall skipifsilent
